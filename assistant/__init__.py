"""Routeboek assistant: answers Dutch questions about verzuim and thuiszitters
from regional protocol documents, quoting them verbatim.

The path of a question through the package:
load -> chunk -> index -> retrieve -> answer -> cite -> show
(`load.py`, `chunk.py`, `index.py`, `retrieve.py`, `answer.py`, `cite.py`,
and `cli.py` / `app.py`), tied together by `ask.py`.
"""

from assistant.privacy import apply_offline_env

apply_offline_env()

__version__ = "0.1.0"
