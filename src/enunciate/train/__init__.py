"""Training: datasets, teacher datasets, fine-tuning (full and LoRA) and SpeechT5's variants.

    data.py          LJSpeech / LibriTTS readers with row-by-row validation (`open_dataset`)
    make_dataset.py  a teacher dataset rendered through enunciate's frontend, resumable
    finetune.py      the training loop (checkpoints, resume, divergence, progress, MLflow), `finetune`
    lora.py          LoRA adapters through peft: add, save, load, merge
    features.py      VITS's spectrograms (pure torch functions)
    vits.py          what VITS training adds to the recovered weights, and its trainer
    speecht5.py      SpeechT5 fine-tuning as Hugging Face's guide does it; int8 and pruned variants
    command.py       `enunciate make-dataset`, `enunciate finetune`

Everything a training run makes is a voice folder (see docs/voices.md); docs/training.md says
which parts of a model start from recovered weights and which from scratch. Nothing here is
imported by `enunciate speak`.
"""
