import streamlit as st

st.title("Details")
st.dataframe(st.session_state.get("selection", []))
api_key = st.secrets.get("SALES_API_KEY", "")
st.write("API configured" if api_key else "Add SALES_API_KEY in App settings -> Secrets.")
