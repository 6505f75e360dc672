// PKIParsing
