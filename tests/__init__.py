"""cloud-preflight tests. (A package, so that `tests` resolves to this folder even when an installed
distribution, such as actions-toolkit 0.1.15, puts its own top-level `tests` package in site-packages.)"""
