"""mllab: the core of the mllab dashboard.

Importing this package must stay cheap: it never imports streamlit, and TensorFlow is
imported only inside the functions that train deep models.
"""

__version__ = "0.1.0"
