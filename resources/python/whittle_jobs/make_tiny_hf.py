"""Test fixture: a tiny Hugging Face model (random weights, seeded) with a SentencePiece BPE tokenizer trained on a
given corpus and a chat template, saved as safetensors. Small enough to convert, export and fine-tune in seconds."""
from __future__ import annotations

import argparse
import io
from pathlib import Path

from . import protocol

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
LLAMA3ISH = (
    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + "
    "message['content'] + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
SPECIALS = {
    "llama": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
    "qwen2": ["<|im_start|>", "<|im_end|>"],
}


def train_tokenizer(corpus: Path, vocab_size: int, specials: list[str], out: Path) -> None:
    import sentencepiece as spm

    lines = [l.strip() for l in corpus.read_text(encoding="utf-8").splitlines() if l.strip()]
    if not lines:
        raise protocol.JobError(f"{corpus}: the corpus is empty")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        model_type="bpe",
        vocab_size=vocab_size,
        character_coverage=1.0,
        byte_fallback=True,
        user_defined_symbols=specials,
        unk_id=0, bos_id=1, eos_id=2, pad_id=3,
        minloglevel=2,
    )
    (out / "tokenizer.model").write_bytes(model.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", choices=["llama", "qwen2"], required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--corpus", required=True, help="plain text to train the tokenizer on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocab-size", type=int, default=512)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaTokenizerFast, Qwen2Config

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    protocol.progress(0.1, "Training the tokenizer", force=True)
    eos = "<|eot_id|>" if args.arch == "llama" else "<|im_end|>"
    train_tokenizer(Path(args.corpus), args.vocab_size, SPECIALS[args.arch], out)
    tok = LlamaTokenizerFast(vocab_file=str(out / "tokenizer.model"), legacy=False, add_bos_token=args.arch == "llama")
    tok.pad_token = "<pad>"
    tok.chat_template = LLAMA3ISH if args.arch == "llama" else CHATML
    tok.save_pretrained(out)

    protocol.progress(0.5, "Initialising random weights", force=True)
    torch.manual_seed(args.seed)
    common = dict(
        vocab_size=len(tok),
        hidden_size=args.hidden_size,
        intermediate_size=args.hidden_size * 2,
        num_hidden_layers=args.layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.convert_tokens_to_ids(eos),
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
        torch_dtype="float32",
    )
    config = LlamaConfig(**common) if args.arch == "llama" else Qwen2Config(**common)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config.eos_token_id = common["eos_token_id"]
    model.save_pretrained(out, safe_serialization=True)
    params = sum(p.numel() for p in model.parameters())
    protocol.metric("parameters", params)
    protocol.progress(1.0, "Saved", force=True)
    protocol.artifact(str(out), "model", format="hf", architecture=config.architectures[0] if config.architectures else args.arch, parameters=params)


if __name__ == "__main__":
    protocol.run(main)
