"""Face clustering as linkage prediction (L-GCN, DIGL): subgraphs, samplers, models,
training, edge prediction and pseudo-label propagation."""
