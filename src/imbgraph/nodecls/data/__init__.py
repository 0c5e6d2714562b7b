"""The node family's data: :class:`~.graph.NodeGraph` and its files, the built-in synthetic
stand-ins (:mod:`.synthetic`), DeepWalk features (:mod:`.deepwalk`), a config entry -> graph
(:mod:`.datasets`, the readers of real data among them) and imbalanced splits
(:mod:`.splits`). Torch-free: the workflow's config code and the data jobs import it."""
