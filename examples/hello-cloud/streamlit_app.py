"""A small sales dashboard, written the way Community Cloud expects."""

from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

st.set_page_config(page_title="Sales", page_icon="assets/logo.png", layout="wide")
st.logo("assets/logo.png")


@st.cache_data
def load_sales() -> pd.DataFrame:
    # Paths are resolved from the repository root, which is Cloud's working directory.
    return pd.read_csv("data/sales.csv", parse_dates=["month"])


sales = load_sales()
region = st.selectbox("Region", sorted(sales["region"].unique()))
chosen = sales[sales["region"] == region]
st.plotly_chart(px.line(chosen, x="month", y="revenue", title=f"Revenue in {region}"))
st.caption(f"Data file: {Path('data/sales.csv').name}")

if st.button("Refresh"):
    st.cache_data.clear()
    st.rerun()
