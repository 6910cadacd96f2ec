"""What the benchmarks and the browser tests share: a server launcher, Chromium, a protocol client, /proc readers.

server.py starts and stops `streamlit run app.py`; chromium.py launches Debian's Chromium; protocol.py is a
browser tab without a browser (Streamlit's websocket, uploads, media); processes.py reads /proc; trainings.py
starts and stops runs the way a benchmark needs them; timing.py turns timings into the printed figures.
"""
