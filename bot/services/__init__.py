"""(docstring written below in this branch)"""
