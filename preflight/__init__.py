"""cloud-preflight: will this Streamlit app deploy and run on Streamlit Community Cloud?"""

__version__ = "0.1.0"
