import cv2
import streamlit as st
from sklearn.linear_model import LinearRegression

st.set_page_config(page_title="Needs fixes", page_icon="logo.png")
st.image("images\\banner.png")
with open("data.csv") as fh:
    st.text(fh.read())

if st.button("Again"):
    st.experimental_rerun()
