"""Analysis without Django: plain tables in, plain tables out.

Nothing in this package imports Django, directly or indirectly, so statistics, record linkage and
estimation can be tested and reused on their own (from a notebook, a command, a task). The Django
apps hand it tables (Arrow, or rows it turns into Arrow) and render what it returns.
"""
