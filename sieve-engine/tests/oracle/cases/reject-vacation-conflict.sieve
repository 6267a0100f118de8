require ["reject", "vacation"];
vacation "away";
reject "no";
