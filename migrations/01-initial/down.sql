-- Undoes 01-initial. The stamp table stays: the database keeps its environment.

DROP TABLE visits;
DROP TABLE onsens;
DROP TABLE locations;
