require "fileinto";
if true { if true { if true { if not false { fileinto "Deep"; } } } }
