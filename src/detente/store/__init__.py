"""detente.store"""
