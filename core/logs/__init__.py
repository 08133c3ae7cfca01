"""The email log: query, detail, analytics, export and saved searches (issue 4).

Front ends call these functions; nothing here imports Textual.
"""
