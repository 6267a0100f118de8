require ["reject", "fileinto"];
fileinto "X";
reject "no";
