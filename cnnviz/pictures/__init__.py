"""Pictures: data in, plotly figure or HTML grid out."""
