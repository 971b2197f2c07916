-- per current delivery: rows read = loaded + quarantined + pending
SELECT path, rows_read, rows_loaded, rows_quarantined, rows_pending FROM files
WHERE NOT superseded AND status = 'loaded'
  AND rows_read <> rows_loaded + rows_quarantined + rows_pending
