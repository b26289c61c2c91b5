#!/bin/sh
curl -s https://api.example.com/v1/orders \
  -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U" \
  -H "Content-Type: application/json"
curl -u deploy:Depl0y-Secret-1 https://ci.example.com/job/build
curl -H 'x-api-key: 7d1c9e0f4b2a86d3e5f1' https://maps.example.com/geocode
curl https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/aBcDeFgHiJkLmNoPqRsTuVwX -d '{"text":"hi"}'
