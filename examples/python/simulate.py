"""chipcap in a notebook: run a scenario and look at it as a table.

    python3 -m venv .venv && . .venv/bin/activate
    pip install maturin pandas
    (cd crates/chipcap-py && maturin develop --release)
    python examples/python/simulate.py

Each cell below is one step of a notebook.
"""

import pathlib

import chipcap

root = pathlib.Path(__file__).resolve().parents[2]

# %% One determination, as `chipcap check` gives it.
d = chipcap.determine({
    "date": "2026-02-10",
    "rule_set": "ai-diffusion-2025",
    "destination": "MY",
    "items": [{"chip": "nvidia-h100-sxm", "quantity": 2000}],
})
print(d["decision"], d["review_policy"], d["tpp"])

# %% A scenario: Malaysia and Thailand ask for 10,000 H100e a quarter; Thailand gives assurances.
text = (root / "examples" / "scenarios" / "my-th-assurances.toml").read_text()
records = chipcap.simulate(text)

# %% Into pandas (when installed): one row per country, channel and quarter.
try:
    import pandas as pd
except ImportError:
    pd = None

if pd is not None:
    df = pd.DataFrame(records)
    print(df.pivot_table(index="quarter", columns="country", values="remaining_h100e"))
    print(df.groupby("country")["exhausted"].first())
else:
    for r in records:
        if r["refused_tpp"]:
            print(r["country"], r["quarter"], "refused", r["refused_h100e"], "H100e")

# %% The whole document (the same as `chipcap simulate --json`).
doc = chipcap.simulate_document(text)
print({c["country"]: c["exhausted"] for c in doc["countries"]})
