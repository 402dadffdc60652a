#!/usr/bin/env python3
"""Parses files with the language's Lark grammar and says which parse.

    check.py GRAMMAR FILE...

Prints one line per file: `ok PATH` or `error PATH: message`. Exits 0 (the caller compares).
"""
import sys

import lark


def main():
    grammar = lark.Lark(open(sys.argv[1]).read(), parser="lalr", lexer="contextual")
    for path in sys.argv[2:]:
        try:
            grammar.parse(open(path, encoding="utf-8").read())
            print(f"ok {path}")
        except lark.exceptions.LarkError as e:
            print(f"error {path}: {str(e).splitlines()[0]}")
        except UnicodeDecodeError as e:
            print(f"error {path}: {e}")


if __name__ == "__main__":
    main()
