"""METIS clusters of a node-classification graph (ECGN, ClusterGCN, cluster features).

ECGN (and the baselines that use clusters) partition the graph itself with METIS k-way
(paper: 3 clusters for Cora and CiteSeer, 7 for Amazon Computers, 20 for ogbn-arxiv, 40 for
Reddit). The partition is a per-(dataset, k) pipeline output, computed once by
:func:`node_clusters` through the shared :func:`imbgraph.partition.metis_partition` (pymetis,
``recursive=False``, seeded; the graph is undirected and loop-free by construction of a
:class:`~imbgraph.nodecls.data.graph.NodeGraph`) and stored as one Parquet column
(:func:`write_clusters` / :func:`read_clusters`).

Derived views, all vectorised:

* :func:`intra_cluster_edges`: the edges whose two ends share a cluster (the block-diagonal
  graph every cluster model of ECGN's pre-training sees);
* :func:`cluster_subgraph`: one cluster's nodes and its intra-cluster edges, relabelled;
* :func:`boundary_connectivity`: per node, how many of its neighbours lie in other clusters
  (ECGN's ranking of SMOTE seeds, boundary first).

Edge cases: ``k < 1`` or ``k`` above the node count raise :class:`ConfigError` naming the key;
``k == 1`` puts every node in cluster 0 without METIS; isolated nodes and several components
are placed by METIS to balance the parts; on tiny or odd graphs METIS may leave a part empty,
which every consumer here tolerates (an empty cluster has no nodes and no model inputs).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pyarrow as pa

from imbgraph.errors import ConfigError, InputError
from imbgraph.graph import symmetric_adjacency
from imbgraph.io.tables import read_parquet_table, table_metadata, write_parquet_table
from imbgraph.nodecls.data.graph import NodeGraph
from imbgraph.partition import metis_partition

__all__ = ["boundary_connectivity", "check_cluster_count", "check_clusters", "cluster_sizes",
           "cluster_subgraph", "intra_cluster_edges", "node_clusters", "read_clusters",
           "write_clusters"]


def check_cluster_count(k: object, num_nodes: int, *, key: str = "clusters") -> int:
    """``k`` as an int when 1 <= k <= num_nodes, else ConfigError naming ``key``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer, float)) or int(k) != k:
        raise ConfigError(f"{key} = {k!r}; expected an integer number of clusters >= 1")
    k = int(k)
    if k < 1:
        raise ConfigError(f"{key} = {k}; expected at least 1 cluster")
    if k > num_nodes:
        raise ConfigError(f"{key} = {k} exceeds the {num_nodes} nodes of the graph; expected "
                          f"at most {num_nodes} clusters")
    return k


def node_clusters(graph: NodeGraph, k: int, *, seed: int = 0,
                  key: str = "clusters") -> np.ndarray:
    """METIS k-way clusters of ``graph``'s nodes.

    Parameters
    ----------
    graph : the graph (undirected, no self loops; its features are not used)
    k : number of clusters, 1 <= k <= n (ECGN: 3 Cora / CiteSeer, 7 Amazon Computers)
    seed : METIS's seed (same graph, k and seed: same clusters)
    key : config key named in errors

    Returns
    -------
    ndarray of shape (n,), int32 cluster ids in [0, k) (a cluster may be empty on tiny graphs).
    """
    k = check_cluster_count(k, graph.num_nodes, key=key)
    src, dst = graph.edge_index
    return metis_partition(symmetric_adjacency(src, dst, graph.num_nodes), k, seed=int(seed))


def check_clusters(clusters: np.ndarray, num_nodes: int, k: int | None = None, *,
                   what: str = "clusters") -> np.ndarray:
    """``clusters`` as int64 (n,) after checking its shape and range (ValueError naming
    ``what``); ``k`` defaults to max + 1."""
    c = np.asarray(clusters)
    if c.shape != (num_nodes,) or not np.issubdtype(c.dtype, np.integer):
        raise ValueError(f"{what}: expected an integer array of shape ({num_nodes},), got "
                         f"{c.dtype} {c.shape}")
    c = c.astype(np.int64)
    if c.size and c.min() < 0:
        raise ValueError(f"{what}: negative cluster id {int(c.min())}")
    if k is not None and c.size and c.max() >= k:
        raise ValueError(f"{what}: cluster id {int(c.max())} outside [0, {k})")
    return c


def cluster_sizes(clusters: np.ndarray, k: int | None = None) -> np.ndarray:
    """(k,) int64 nodes per cluster (``k`` defaults to max + 1)."""
    c = np.asarray(clusters, dtype=np.int64)
    return np.bincount(c, minlength=int(k if k is not None else (c.max() + 1 if c.size else 0)))


def intra_cluster_edges(edge_index: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """(2, E_in) int64: the columns of ``edge_index`` whose two ends share a cluster, in their
    original order (both directions stay, so the result is a valid NodeGraph edge list)."""
    ei = np.asarray(edge_index, dtype=np.int64)
    c = np.asarray(clusters)
    return ei[:, c[ei[0]] == c[ei[1]]]


def cluster_subgraph(graph: NodeGraph, clusters: np.ndarray,
                     cluster: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of one cluster and its intra-cluster edges (ECGN: "only the nodes and edges
    within the cluster").

    Returns
    -------
    nodes : (m,) int64 global ids of the cluster's nodes, sorted
    edge_index : (2, e) int64 edges among them in local ids (position in ``nodes``), both
        directions, sorted by (source, target)
    """
    c = check_clusters(clusters, graph.num_nodes)
    nodes = np.flatnonzero(c == int(cluster)).astype(np.int64)
    local = np.full(graph.num_nodes, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.shape[0])
    ei = graph.edge_index
    keep = (c[ei[0]] == cluster) & (c[ei[1]] == cluster)
    return nodes, local[ei[:, keep]]  # edge_index is sorted by (src, dst); relabelling keeps it


def boundary_connectivity(edge_index: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """(n,) int64: for every node, how many of its neighbours lie in another cluster (ECGN
    Section 3.2, step 1). ``edge_index`` holds every undirected edge in both directions."""
    ei = np.asarray(edge_index, dtype=np.int64)
    c = np.asarray(clusters)
    cut = c[ei[0]] != c[ei[1]]
    return np.bincount(ei[0, cut], minlength=c.shape[0]).astype(np.int64)


# --- files ------------------------------------------------------------------------------------
def write_clusters(clusters: np.ndarray, path: str | os.PathLike, *, k: int,
                   seed: int) -> None:
    """One Parquet column ``cluster`` (int32, one row per node, in node order); ``k`` and the
    METIS ``seed`` in the schema metadata."""
    c = np.asarray(clusters, dtype=np.int32)
    write_parquet_table(pa.table({"cluster": c}), path,
                        metadata={"clusters": json.dumps({"k": int(k), "seed": int(seed)})})


def read_clusters(path: str | os.PathLike, *, num_nodes: int | None = None,
                  k: int | None = None) -> np.ndarray:
    """The (n,) int32 clusters written by :func:`write_clusters`; InputError naming the file
    when it is malformed, has another node count than ``num_nodes``, or was written for
    another ``k``."""
    try:
        table = read_parquet_table(path)
        c = table.column("cluster").to_numpy().astype(np.int32)
        meta = json.loads(table_metadata(table)["clusters"])
        stored_k = int(meta["k"])
    except (OSError, KeyError, ValueError, TypeError, pa.ArrowException) as err:
        raise InputError(f"{path}: not a clusters table (expected Parquet with an int32 "
                         f"column 'cluster' and 'clusters' metadata): {err}") from None
    if num_nodes is not None and c.shape[0] != num_nodes:
        raise InputError(f"{path} holds clusters of {c.shape[0]} nodes; the graph has "
                         f"{num_nodes}")
    if k is not None and stored_k != int(k):
        raise InputError(f"{path} holds {stored_k} clusters; expected {k}")
    if c.size and (c.min() < 0 or c.max() >= stored_k):
        raise InputError(f"{path}: cluster ids outside [0, {stored_k})")
    return c
