// QUICParsing
