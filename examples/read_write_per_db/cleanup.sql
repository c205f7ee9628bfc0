DROP TABLE data.valves;
