require ["imap4flags", "fileinto"];
setflag "\\Seen";
addflag "$Work";
fileinto "Work";
removeflag "\\Seen";
keep;
