// TLSParsing
