"""Test-session set-up shared by the test suite and the doctests."""

import os

# scikit-learn's check_array_api_input (part of check_estimator) runs only when
# scipy's array API support is switched on, and it must be on before scipy is
# first imported. Without it that check is skipped instead of passing.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
