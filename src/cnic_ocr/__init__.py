"""Pakistani CNIC front OCR and its AWS serverless upload pipeline."""
