"""Images and datasets: decoding and checking uploads, the Dataset/Split shape, sources, folders, feeding Keras."""
