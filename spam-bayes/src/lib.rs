//! Mail tokenizer, naive-Bayes classifier, token store and weighted spam scoring.
