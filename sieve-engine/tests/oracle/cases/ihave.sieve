require ["ihave", "fileinto"];
if ihave "nonexistent-ext" { fileinto "Never"; } else { fileinto "Else"; }
