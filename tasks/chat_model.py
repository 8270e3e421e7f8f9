"""The registered model's pyfunc (MLflow "models from code": this file is stored with the model).

Input: a list of user messages; output: the model's replies (greedy unless temperature > 0).
The Hugging Face directory travels as the artifact "hf", so any size and architecture that
transformers loads works, and loading needs neither drift nor the workspace. Self-contained on
purpose: it imports only mlflow (and its pandas) and transformers.
"""

from __future__ import annotations

import mlflow
import pandas as pd  # mlflow's own dependency
from mlflow.pyfunc import PythonModel


class ChatModel(PythonModel):
    def load_context(self, context):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = context.artifacts["hf"]
        # drift saves safetensors; never unpickle weights or run a model's own code (docs/engines.md)
        self.tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(path, use_safetensors=True, trust_remote_code=False)
        self.model.eval()

    # Typed as what mlflow passes under the logged signature (a one-column frame; a plain list still works):
    # a type mlflow infers no schema from, so it keeps that signature and its params, and asks for no hints.
    def predict(self, context, model_input: pd.DataFrame, params=None):
        import torch

        params = params or {}
        if hasattr(model_input, "iloc"):  # a DataFrame: its first column holds the messages
            model_input = model_input.iloc[:, 0].tolist()
        texts = []
        for question in model_input:
            msgs = [{"role": "system", "content": params["system"]}] if params.get("system") else []
            msgs.append({"role": "user", "content": str(question)})
            texts.append(self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
                         + params.get("prefill", ""))
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        temperature = float(params.get("temperature", 0.0))
        with torch.no_grad():
            out = self.model.generate(
                **enc, max_new_tokens=int(params.get("max_new_tokens", 64)), do_sample=temperature > 0,
                temperature=temperature if temperature > 0 else None, top_p=None, top_k=None,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        new = out[:, enc["input_ids"].shape[1]:]
        return [params.get("prefill", "") + t for t in self.tokenizer.batch_decode(new, skip_special_tokens=True)]


mlflow.models.set_model(ChatModel())
