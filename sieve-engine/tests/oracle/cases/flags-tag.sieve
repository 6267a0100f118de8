require ["imap4flags", "fileinto"];
fileinto :flags ["\\Flagged", "\\Answered"] "Important";
