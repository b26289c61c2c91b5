import axios from "axios";

const api = axios.create({
  baseURL: "https://api.example.com",
  headers: { Authorization: "Bearer sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789" },
});

export const config = {
  apiToken: 'tk_live_4d5e6f7a8b9c',
  timeoutMs: 5000,
};

export function login(password: string) {
  return api.post("/login", { password });
}
