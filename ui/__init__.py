"""Streamlit helpers shared by the pages: state and links, cached resources, inputs, charts.

UI only: every computation is a call into ``fusion_core``.
"""
