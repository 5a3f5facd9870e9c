"""Training: datasets, teacher datasets, fine-tuning (full and LoRA), SpeechT5's variants and a
distilled student of heart.

    data.py          LJSpeech / LibriTTS readers with row-by-row validation (`open_dataset`)
    make_dataset.py  a teacher dataset rendered through enunciate's frontend, resumable
    finetune.py      the training loop (checkpoints, resume, divergence, progress, MLflow), `finetune`
    lora.py          LoRA adapters through peft: add, save, load, merge
    features.py      VITS's spectrograms (pure torch functions)
    vits.py          what VITS training adds to the recovered weights, and its trainer
    speecht5.py      SpeechT5 fine-tuning as Hugging Face's guide does it; int8 and pruned variants
    teacher_frames.py heart's per-frame outputs for a corpus, cached to disk (the student's targets)
    student.py       the student network, its losses, trainer and ONNX export (`enunciate train student`)
    command.py       `enunciate make-dataset`, `enunciate finetune`, `enunciate train student`

Everything a training run makes is a voice folder (see docs/voices.md); docs/training.md says
which parts of a model start from recovered weights and which from scratch. Nothing here is
imported by `enunciate speak`.
"""
