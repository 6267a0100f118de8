require ["mailbox", "fileinto"];
if mailboxexists "INBOX" { fileinto "Exists"; }
fileinto :create "Created";
