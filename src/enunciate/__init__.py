"""enunciate: offline text-to-speech that pronounces technical text correctly."""
import os

# onnxruntime starts a telemetry thread that looks up a remote host unless this is set before import.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
