"""DeepWalk node embeddings (Perozzi et al., KDD 2014): uniform random walks + skip-gram.

GraphSMOTE gives BlogCatalog and Twitter 64-d DeepWalk embeddings as node features (their
file is not public, so the pipeline recomputes them as a cached per-dataset step). The walks
are drawn here, vectorised over all walkers at once on the CSR adjacency (PyG's ``Node2Vec``
needs torch-cluster, which cannot be installed); gensim's ``Word2Vec`` trains the skip-gram
with hierarchical softmax, as DeepWalk's reference code does, on one worker thread so the
result depends only on the seed.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["deepwalk", "random_walks"]


def random_walks(adj: sp.csr_matrix, *, walk_length: int, walks_per_node: int,
                 seed: int) -> np.ndarray:
    """Uniform random walks from every node, ``walks_per_node`` rounds of one walk each.

    Parameters
    ----------
    adj : scipy CSR (n, n), its pattern the graph (symmetric for an undirected graph)
    walk_length : nodes per walk, the start included
    walks_per_node : rounds; each round starts one walk at every node, in a random order
    seed : the numpy Generator's seed

    Returns
    -------
    ndarray (n * walks_per_node, walk_length) int64; a walk that reaches a node without
    neighbours stays there.
    """
    adj = sp.csr_matrix(adj)
    n = adj.shape[0]
    indptr, indices = adj.indptr.astype(np.int64), adj.indices.astype(np.int64)
    deg = np.diff(indptr)
    rng = np.random.default_rng(seed)
    starts = np.concatenate([rng.permutation(n) for _ in range(walks_per_node)])
    walks = np.empty((starts.shape[0], walk_length), dtype=np.int64)
    walks[:, 0] = starts
    cur = starts
    for step in range(1, walk_length):  # loop over steps; every walker moves at once
        d = deg[cur]
        pick = (rng.random(cur.shape[0]) * d).astype(np.int64)
        nxt = indices[np.minimum(indptr[cur] + pick, max(indices.shape[0] - 1, 0))]
        cur = np.where(d > 0, nxt, cur)
        walks[:, step] = cur
    return walks


def deepwalk(adj: sp.csr_matrix, *, dim: int = 64, walk_length: int = 40,
             walks_per_node: int = 10, window: int = 5, epochs: int = 1, seed: int = 0,
             workers: int = 1) -> np.ndarray:
    """DeepWalk embeddings of every node.

    Parameters
    ----------
    adj : scipy CSR (n, n) adjacency
    dim : embedding size (GraphSMOTE: 64)
    walk_length, walks_per_node, window : DeepWalk's t, gamma and w (reference: 40, 10, 5)
    epochs : skip-gram passes over the walks
    seed : seeds the walks and Word2Vec
    workers : Word2Vec threads; 1 (default) is needed for a seed-determined result

    Returns
    -------
    ndarray (n, dim) float32; row v is node v's vector (zeros for a node no walk visits,
    which cannot happen: every node starts walks).
    """
    from gensim.models import Word2Vec

    n = adj.shape[0]
    walks = random_walks(adj, walk_length=walk_length, walks_per_node=walks_per_node, seed=seed)
    sentences = [list(map(str, w)) for w in walks.tolist()]
    model = Word2Vec(sentences=sentences, vector_size=dim, window=window, min_count=0, sg=1,
                     hs=1, negative=0, workers=workers, seed=seed, epochs=epochs)
    out = np.zeros((n, dim), dtype=np.float32)
    keys = np.asarray([int(k) for k in model.wv.index_to_key], dtype=np.int64)
    out[keys] = model.wv.vectors
    return out
