"""The lesson itself: the numpy convolution and pooling with step traces, output sizes, parameter arithmetic."""
