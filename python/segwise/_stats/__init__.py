"""Statistics shared by the features (the Python side of ``src/core/stats``).

- :mod:`.distributions`: normal, t and chi-square distribution functions, ``gammaln`` and
  ``betainc``, computed in the Rust core.
- :mod:`.inference`: p-values and critical values, Welch's moments, multiple-testing
  adjustment.
- :mod:`.contingency`: Pearson's chi-square test of independence with adjusted
  standardized residuals per cell.
"""
