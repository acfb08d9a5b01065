"""Reading and validating `knowledge/`, chunking, embedding, FAISS + lexical search, index builds.
"""
