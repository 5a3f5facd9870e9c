"""A small SpeechT5 checkpoint folder in Hugging Face format, built with transformers' own classes.

No SpeechT5 weights can be downloaded here, so tests run enunciate's SpeechT5 voice on a randomly
initialised model of the real architecture (its speech is noise; what is tested is loading,
tokenizing, alignment, timing, seeds, speed and errors). Its stop head is set never to fire, so
every run lasts the decoder's length limit and lengths are known in advance.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',.?!-"


def build_tiny_speecht5(folder: Path, seed: int = 0) -> Path:
    import sentencepiece
    import torch

    from enunciate.voices.torch_runtime import import_transformers

    tf = import_transformers()
    folder.mkdir(parents=True, exist_ok=True)
    lines = [" ".join(CHARS[i:i + 7] for i in range(0, len(CHARS), 7))] * 20
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_prefix=str(folder / "spm_char"), model_type="char",
        vocab_size=len(CHARS) + 5, character_coverage=1.0, bos_id=0, pad_id=1, eos_id=2, unk_id=3, minloglevel=2)
    (folder / "spm_char.vocab").unlink()
    vocab = sentencepiece.SentencePieceProcessor(model_file=str(folder / "spm_char.model")).get_piece_size()
    torch.manual_seed(seed)
    config = tf.SpeechT5Config(vocab_size=vocab, hidden_size=32, encoder_layers=1, decoder_layers=1,
                               encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                               decoder_ffn_dim=64, speech_decoder_prenet_units=32, speech_decoder_postnet_units=32,
                               speech_decoder_postnet_layers=2)
    model = tf.SpeechT5ForTextToSpeech(config).eval()
    with torch.no_grad():
        model.speech_decoder_postnet.prob_out.weight.zero_()
        model.speech_decoder_postnet.prob_out.bias.fill_(-20.0)
    model.save_pretrained(str(folder))
    vocoder = tf.SpeechT5HifiGanConfig(upsample_initial_channel=16, upsample_rates=[4, 4, 4, 4],
                                       upsample_kernel_sizes=[8, 8, 8, 8], resblock_kernel_sizes=[3],
                                       resblock_dilation_sizes=[[1, 3]])
    tf.SpeechT5HifiGan(vocoder).eval().save_pretrained(str(folder / "vocoder"))
    np.save(folder / "speaker.npy", np.random.default_rng(seed).normal(0, 0.05, 512).astype(np.float32))
    return folder
