"""Helpers shared by the top-level tests (the folders' own helpers sit in their folders)."""

#: Lines of TensorFlow's C++ start-up chatter that labhelpers hides (TF_CPP_MIN_LOG_LEVEL).
NOISE_MARKERS = (
    "E0000",
    "cuInit",
    "cuda drivers",
    "cudart_stub",
    "absl::InitializeLog",
    "oneDNN custom operations",
)
