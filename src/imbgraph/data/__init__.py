"""Dataset construction: synthetic generators and imbalanced-subset synthesis."""

from imbgraph.data.subsets import imbalanced_subset, subset_name
from imbgraph.data.synthetic_faces import FaceDomain, identity_sizes, synthesize_faces

__all__ = ["FaceDomain", "identity_sizes", "imbalanced_subset", "subset_name", "synthesize_faces"]
