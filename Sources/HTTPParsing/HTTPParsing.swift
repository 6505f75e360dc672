// HTTPParsing
