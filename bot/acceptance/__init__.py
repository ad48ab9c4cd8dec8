"""The customer's decision on a delivery: Accept (the validity is fixed, completion happens
once) or Request changes (back to the seller with the reason), only by the order's customer."""
