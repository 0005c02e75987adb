"""kb: a literature and evidence knowledge base.

Data flows one way: sources -> parse -> resolve -> link -> graph -> store -> publish.
"""

__version__ = "0.1.0"
