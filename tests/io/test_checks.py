"""Tests of imbgraph.io.checks."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.errors import InputError
from imbgraph.io.checks import check_finite_features


def test_finite_features_pass_and_the_first_bad_row_is_named():
    check_finite_features(np.zeros((3, 2), dtype=np.float32), "raw.bin")
    x = np.zeros((4, 3), dtype=np.float32)
    x[2, 1], x[3, 0] = np.inf, np.nan
    with pytest.raises(InputError, match=r"raw.bin: the features of node 2 \(row 2, column 1\) "
                                         r"are inf; 2 node\(s\) have NaN or inf features"):
        check_finite_features(x, "raw.bin")
